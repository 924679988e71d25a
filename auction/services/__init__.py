"""The auction's services: the lifecycle of auctions and lots, registrations and deposits."""
