//! Memory optimisation advice: where memory goes and ranked, quantified options to reduce it.
