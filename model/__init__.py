"""The RLIPv2 model (ALIF fusion, ParSeD relation detection) and its pretraining."""
