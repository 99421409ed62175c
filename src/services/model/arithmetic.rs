//! Arithmetic in a prompt: which operations a message writes ("5 * 4", "7 plus 3",
//! "12 divided by 4"), named by the words a calculator tool's name uses for them, so that a
//! `multiply(a, b)` tool is called for "what's 5 * 4" (its numbers then fill the numeric
//! parameters in order, as [`super::structured`] does for every number in the message).

/// One operation: the symbols and words that write it between two numbers, and the words a
/// tool's name may use for it.
struct Operation {
    written: &'static [&'static str],
    names: &'static [&'static str],
}

const OPERATIONS: &[Operation] = &[
    Operation {
        written: &["*", "x", "×", "times", "multiplied by"],
        names: &["multiply", "multiplication", "product", "mul", "times"],
    },
    Operation {
        written: &["+", "plus", "added to"],
        names: &["add", "addition", "sum", "plus"],
    },
    Operation {
        written: &["-", "minus", "subtract"],
        names: &["subtract", "subtraction", "difference", "sub", "minus"],
    },
    Operation {
        written: &["/", "÷", "divided by", "over"],
        names: &["divide", "division", "quotient", "div"],
    },
    Operation {
        written: &["^", "**", "to the power of"],
        names: &["power", "pow", "exponent", "exponentiate"],
    },
];

/// The tool-name words of the operations `message` writes between two numbers.
///
/// ```
/// use openai_mock::services::model::arithmetic::operation_names;
/// assert!(operation_names("what's 5 * 4").contains(&"multiply"));
/// assert!(operation_names("what is 7 plus 3?").contains(&"add"));
/// assert!(operation_names("tell me about Paris").is_empty());
/// ```
pub fn operation_names(message: &str) -> Vec<&'static str> {
    let lower = message.to_lowercase();
    let tokens = tokens(&lower);
    let mut names = Vec::new();
    for operation in OPERATIONS {
        let written = operation.written.iter().any(|op| {
            let op_tokens = tokens_of(op);
            (1..tokens.len()).any(|start| {
                let end = start + op_tokens.len();
                end < tokens.len()
                    && is_number(&tokens[start - 1])
                    && tokens[start..end] == op_tokens[..]
                    && is_number(&tokens[end])
            })
        });
        if written {
            names.extend_from_slice(operation.names);
        }
    }
    names
}

/// The message as numbers, operator symbols and words ("5*4" → `5`, `*`, `4`).
fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &ch) in chars.iter().enumerate() {
        let in_number = ch.is_ascii_digit()
            || (ch == '.'
                && current.chars().all(|c| c.is_ascii_digit())
                && !current.is_empty()
                && chars.get(i + 1).is_some_and(char::is_ascii_digit));
        if ch.is_alphanumeric() || in_number {
            let switching = current
                .chars()
                .last()
                .is_some_and(|last| last.is_ascii_digit() != ch.is_ascii_digit() && ch != '.');
            if switching {
                out.push(std::mem::take(&mut current));
            }
            current.push(ch);
            continue;
        }
        if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if "*+-/^×÷".contains(ch) {
            // `**` is one operator.
            if ch == '*' && out.last().is_some_and(|last| last == "*") {
                if let Some(last) = out.last_mut() {
                    last.push('*');
                }
            } else {
                out.push(ch.to_string());
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn tokens_of(op: &str) -> Vec<String> {
    if op.chars().all(|c| !c.is_alphanumeric()) {
        return vec![op.to_string()];
    }
    op.split_whitespace().map(str::to_string).collect()
}

fn is_number(token: &str) -> bool {
    !token.is_empty() && token.parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_and_words_between_numbers() {
        assert!(operation_names("5*4").contains(&"multiply"));
        assert!(operation_names("what is 12 divided by 4").contains(&"divide"));
        assert!(operation_names("2 ** 8").contains(&"power"));
        assert!(operation_names("3.5 - 1").contains(&"subtract"));
        assert!(operation_names("a 5-star hotel").is_empty());
        assert!(operation_names("the x-axis").is_empty());
    }
}
