package drivers

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// jdbcJar is pgjdbc as Debian's libpostgresql-jdbc-java installs it.
const jdbcJar = "/usr/share/java/postgresql.jar"

// jdbcSections are the sections of testdata/JdbcSuite.java, in the order
// they run.
var jdbcSections = []section{
	{name: "connect"},
	{name: "settings"},
	{name: "plain"},
	{name: "errors"},
	{name: "prepared"},
	{name: "params"},
	{name: "fetchsize"},
	{name: "batch"},
	{name: "batcherror"},
	{name: "types"},
	{name: "transactions"},
	{name: "timestamptz"},
	{name: "numeric"},
	{name: "numeric_nan"},
	{name: "metadata"},
	{name: "getcolumns"},
	{name: "getprimarykeys"},
	{name: "getindexinfo"},
	{name: "gettypeinfo"},
	{name: "resultsetmeta"},
}

// testJDBC compiles testdata/JdbcSuite.java against pgjdbc and compares its
// sections on both servers.
func testJDBC(t *testing.T, srv *servers) {
	need(t, jdbcJar, "/usr/bin/javac", "/usr/bin/java")
	classes := t.TempDir()
	out, err := exec.Command("/usr/bin/javac", "-encoding", "UTF-8", "-cp", jdbcJar, "-d", classes,
		filepath.Join("testdata", "JdbcSuite.java")).CombinedOutput()
	if err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	names := runnable(t, jdbcSections)
	compareSections(t, srv, names, func(target) []string {
		return append([]string{"/usr/bin/java", "-Duser.timezone=UTC", "-Dfile.encoding=UTF-8",
			"-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", jdbcJar + ":" + classes, "JdbcSuite"}, names...)
	})
}
