"""Discourse forum adapter: signed webhooks in, replies in the topic through the REST API out."""
