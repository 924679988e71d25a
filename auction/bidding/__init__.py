"""Bidding: the pure rules (`rules`), the batcher that gathers a lot's bids (`batcher`), the one
decision of a batch (`decide`), its SQL (`store`) and the frames of what was decided (`frames`).
The path of a bid through them is in docs/architecture.md, "The path of a bid"."""
