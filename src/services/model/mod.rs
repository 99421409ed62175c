//! The simulated model the text endpoints share: what a reply says ([`text`]), JSON that
//! fits a client's schema ([`structured`]), which tools to call and with what arguments
//! ([`tools`]; a custom tool's Lark grammar through [`lark`]) and, for calculator tools, which operations a prompt writes ([`arithmetic`]),
//! token log probabilities ([`logprobs`]), reasoning summaries and encrypted reasoning
//! ([`reasoning`]), predicted outputs ([`prediction`]), and output a scenario rule scripted
//! instead ([`script`]).

pub mod arithmetic;
pub mod lark;
pub mod logprobs;
pub mod prediction;
pub mod reasoning;
pub mod script;
pub mod structured;
pub mod text;
pub mod tools;
