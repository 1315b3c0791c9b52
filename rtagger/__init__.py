"""The Relation Tagger (R-Tagger): scores caption-derived relation candidates for given box
pairs; trained by denoising on human scene graphs."""
