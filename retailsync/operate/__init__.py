"""What the operator commands do, apart from printing: read ranges of topics, plan and apply
offset resets, redrive and discard dead letters, replay keys, compute lag, and write the
audit trail. The application layer (``commands/``) only parses arguments and prints.
"""
