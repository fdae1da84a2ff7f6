"""Content studio: each network's text rules (`rules`), counting and checking (`count`), variants drawn from a
master text (`variants`), UTM tags (`utm`) and the brand voice (`voice`). Stdlib and `regex` only."""
