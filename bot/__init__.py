"""The Telegram edge of the product, and the terminal chat used when there is no token."""
