"""The R side of hlm_py: a catalogue of cases and an rpy2 runner writing goldens."""
