//! Clickeen embed runtime. (Being built out: see issue "Embed runtime".)

mod value;

pub use value::Value;
