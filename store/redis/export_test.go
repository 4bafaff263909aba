package redis

// SHA256Source exposes the Lua SHA-256 to the external tests.
var SHA256Source = sha256Source
