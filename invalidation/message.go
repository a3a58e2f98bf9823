// Package invalidation defines catalog invalidation messages and the rules for
// applying them. A committed catalog change is published by metad as one Set
// whose Seq is the etcd revision of the commit, so a sequence number and its
// messages are never seen apart. Nodes apply sets in Seq order and remember
// the highest Seq applied.
package invalidation

import "github.com/cirrusdb/cirrus/catalog"

// Message says that one catalog object changed.
type Message struct {
	Kind catalog.ObjectKind `json:"kind"`
	OID  catalog.OID        `json:"oid"`
	// Drop is set when the object no longer exists after the change.
	Drop bool `json:"drop,omitempty"`
}

// Set is the messages of one committed transaction.
type Set struct {
	Seq      int64     `json:"seq"`
	Messages []Message `json:"messages"`
}
