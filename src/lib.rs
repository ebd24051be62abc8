pub mod catalog;
pub mod error;
