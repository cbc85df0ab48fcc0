"""Questions the features ask of one analysis: what is at an offset (locate), walks over the
syntax tree (walk), where the cursor is (context), shapes and counts as text (describe)."""
