"""Text handling shared by the matcher: normalisation, tokenisation, stemming and
language detection. Pure functions, no I/O."""
