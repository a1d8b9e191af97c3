"""Order tags (``crm.tag`` on ``sale.order``) that tell change capture what the appliers do.

``REVIEW_PENDING``: the order applier is holding a confirmed order for fraud review, which
takes two calls (``action_cancel``, then ``action_draft``); between them, or after a crash
between them, the order reads as cancelled. Change capture does not publish a cancellation
of an order that carries this tag, so the channel never cancels an order that is only held;
the applier takes the tag off once the order is a quotation again.
"""

REVIEW_PENDING = "retailsync: being held for review"
