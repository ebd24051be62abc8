//! The library's one error type. Every message names the field, the bad value and what is allowed, so a
//! CLI user or a JavaScript caller can fix the input without reading the source.

use thiserror::Error;

/// Everything that can go wrong when turning user input into a prediction.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Error {
    /// A field holds a value outside what is allowed.
    #[error("invalid {field}: {value} ({allowed})")]
    InvalidValue {
        /// Dotted path of the field, e.g. `models[2].batch_size`.
        field: String,
        /// The offending value as the user wrote it.
        value: String,
        /// What would have been accepted.
        allowed: String,
    },
    /// A required field is missing.
    #[error("missing {field} ({allowed})")]
    Missing {
        /// Dotted path of the field.
        field: String,
        /// What should be given.
        allowed: String,
    },
    /// The input is not well-formed JSON or does not have the expected shape.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// Which document was being read (workload, hardware profile, sharing config).
        what: String,
        /// The parser's own explanation, with line and column where known.
        detail: String,
    },
    /// A measurement store (SQLite file, IndexedDB) could not be opened, read or written.
    #[error("measurement store {location}: {detail}")]
    Storage {
        /// The file path or database name.
        location: String,
        /// What went wrong and what to do about it.
        detail: String,
    },
}

impl Error {
    /// Shorthand for [`Error::InvalidValue`].
    pub fn invalid(
        field: impl Into<String>,
        value: impl ToString,
        allowed: impl Into<String>,
    ) -> Self {
        Error::InvalidValue {
            field: field.into(),
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }

    /// Shorthand for [`Error::Missing`].
    pub fn missing(field: impl Into<String>, allowed: impl Into<String>) -> Self {
        Error::Missing { field: field.into(), allowed: allowed.into() }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
