"""parts: Stock, reservations, issues, purchasing, counts and write-offs."""
