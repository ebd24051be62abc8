//! Serving under load: requests arriving at each model over time, queues, schedulers and latency percentiles.
