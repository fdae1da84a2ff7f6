"""The Textual presentation layer. It calls core service functions and holds no SQL or business rules."""
