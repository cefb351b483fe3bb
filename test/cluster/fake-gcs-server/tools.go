//go:build tools

// Pins the fake-gcs-server command in go.mod; the build script compiles it by import path.
package tools

import _ "github.com/fsouza/fake-gcs-server"
