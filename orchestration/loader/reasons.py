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
    "future_timestamp": "occurred_at lies more than 24 hours after the load time",
    "missing_property": "a property the event_name requires is absent or null",
    "invalid_property_type": "a property has the wrong JSON type (e.g. price a string)",
    "negative_amount": "price, revenue, value or amount is negative",
    "invalid_quantity": "quantity is not a positive integer",
}

CSV_REJECTION_REASONS: dict[str, str] = {
    "missing_value": "a required column is empty",
    "invalid_value": "a value does not parse as its column's type (number, date, ...)",
    "negative_value": "an amount or count that cannot be negative is negative",
}
