"""The Relation Tagger (R-Tagger): scores caption-derived relation candidates."""
