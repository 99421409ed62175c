//! The simulated model the text endpoints share: what a reply says ([`text`]), JSON that
//! fits a client's schema ([`structured`]), which tools to call and with what arguments
//! ([`tools`]), token log probabilities ([`logprobs`]), and output a scenario rule scripted
//! instead ([`script`]).

pub mod logprobs;
pub mod script;
pub mod structured;
pub mod text;
pub mod tools;
