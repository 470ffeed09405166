"""Task events: the durable log of every change a client could see (written by triggers on
`tasks` in the transaction of the change), read as JSON pages and followed live as SSE."""
