// Package peerpb holds the generated gRPC and protobuf code of the API
// coordinators serve each other (peer.proto). The generated files are
// committed so builds need no protoc.
package peerpb

//go:generate protoc --proto_path=. --plugin=protoc-gen-go=/root/go/bin/protoc-gen-go --plugin=protoc-gen-go-grpc=/root/go/bin/protoc-gen-go-grpc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative peer.proto
