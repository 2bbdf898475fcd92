"""Stable rejection reason codes (CONTRACT section 5). README lists them; analysts filter on them."""

EVENT_REJECTION_REASONS: dict[str, str] = {
    "oversized_line": "the line is larger than 64 KiB",
    "invalid_encoding": "the line is not valid UTF-8",
    "invalid_json": "the line is not valid JSON (blank lines included)",
    "not_an_object": "the line is valid JSON but not an object",
    "missing_field": "event_id, event_name, occurred_at or anonymous_id is absent, null or empty",
    "invalid_field_type": "a top-level field has the wrong JSON type (e.g. event_id a number, page not an object)",
    "string_too_long": "a string is over its length limit (ids 128 chars, search query 512)",
    "unknown_event_name": "event_name is not one of the contract's event names",
    "invalid_timestamp": "occurred_at (or sent_at) is not an ISO-8601 timestamp with an offset or Z",
    "timestamp_out_of_range": "occurred_at or sent_at is before 2000-01-01T00:00:00Z (the loader's earliest instant)",
    "future_timestamp": "occurred_at lies more than 24 hours after the load time",
    "missing_property": "a property the event_name requires is absent or null",
    "invalid_property_type": (
        "a property has the wrong JSON type (e.g. price a string) or a value outside its set (e.g. percent 30, "
        "an empty refund_id)"
    ),
    "negative_amount": "price, revenue, value or amount is negative",
    "invalid_quantity": "quantity is not a positive integer",
    "number_out_of_range": (
        "a number does not fit its column: money decimal(18, 4) up to 9,999,999,999.9999, quantity up to 10,000, "
        "step, count and percent 32-bit integers, seconds a finite double (items' price and quantity included)"
    ),
}

CSV_REJECTION_REASONS: dict[str, str] = {
    "missing_value": "a required column is empty (for messages: both customer_id and anonymous_id)",
    "invalid_value": "a value does not parse as its column's type (number, date, ...)",
    "number_out_of_range": "a number parses but does not fit its column's type (or is not finite)",
    "timestamp_out_of_range": "a date or timestamp is before 2000-01-01 or more than a day after the load time",
    "negative_value": "an amount or count that cannot be negative is negative",
}
