//go:build tools

// Pins the versitygw command in go.mod; the build script compiles it by import path.
package tools

import _ "github.com/versity/versitygw/cmd/versitygw"
