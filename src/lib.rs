pub mod catalog;
pub mod error;
pub mod predict;
