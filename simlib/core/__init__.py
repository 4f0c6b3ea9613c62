"""The core: settings base, money ledger, random streams, payment-intensity maths, metric names, words, safe file reading and atomic publishing. Imports nothing else of simlib."""
