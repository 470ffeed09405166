"""Tasks: creation, lookup, listing and cancel, as the public contract describes them."""
