"""Helpers around the librdkafka clients that every part shares."""
