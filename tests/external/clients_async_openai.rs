//! async-openai (the Rust crate, a dev-dependency with only the `chat-completion`, `embedding`
//! and `responses` features) against the in-process [`openai_mock::MockServer`], the way a Rust
//! app's tests would use the two together: `OpenAIConfig::with_api_base(server.base_url())`,
//! then chat, streamed chat, a tool round trip, embeddings, and Responses (plain, streamed, and
//! a function tool declared without `strict`, whose output goes back for the final answer).
//!
//! Every call goes through the crate's own typed requests and answers, so a field the crate
//! cannot read fails the test.

use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{
    ChatCompletionMessageToolCalls, ChatCompletionRequestAssistantMessageArgs,
    ChatCompletionRequestMessage, ChatCompletionRequestToolMessageArgs,
    ChatCompletionRequestUserMessageArgs, ChatCompletionStreamOptions, ChatCompletionTool,
    ChatCompletionTools, CreateChatCompletionRequestArgs, FinishReason, FunctionObjectArgs,
};
use async_openai::types::embeddings::{CreateEmbeddingRequestArgs, EmbeddingInput};
use async_openai::types::responses::{
    CreateResponseArgs, EasyInputMessage, FunctionCallOutput, FunctionCallOutputItemParam,
    FunctionToolArgs, InputItem, InputParam, Item, OutputItem, ResponseStreamEvent, Status,
};
use async_openai::Client;
use futures_util::StreamExt;
use openai_mock::MockServer;
use serde_json::{json, Value};

const MODEL: &str = "gpt-4o-mini";
const WEATHER_PROMPT: &str = "What is the weather in Paris? Use the tool.";

fn client(server: &MockServer) -> Client<OpenAIConfig> {
    Client::with_config(
        OpenAIConfig::new()
            .with_api_base(server.base_url())
            .with_api_key("sk-test"),
    )
}

/// The arguments schema of the weather tool both APIs offer.
fn weather_parameters() -> Value {
    json!({
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "The city name"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
        },
        "required": ["city"],
        "additionalProperties": false
    })
}

/// Parses a tool call's arguments and checks them against [`weather_parameters`].
fn weather_arguments(arguments: &str) -> Value {
    let args: Value = serde_json::from_str(arguments)
        .unwrap_or_else(|e| panic!("tool arguments are not JSON ({e}): {arguments}"));
    let object = args.as_object().expect("the arguments are an object");
    assert_eq!(
        args["city"], "Paris",
        "the city comes from the prompt: {args}"
    );
    for (key, value) in object {
        match key.as_str() {
            "city" => {}
            "unit" => assert!(
                value == "celsius" || value == "fahrenheit",
                "unit outside its enum: {args}"
            ),
            other => panic!("argument {other} is not in the schema: {args}"),
        }
    }
    args
}

fn user(text: &str) -> ChatCompletionRequestMessage {
    ChatCompletionRequestUserMessageArgs::default()
        .content(text)
        .build()
        .unwrap()
        .into()
}

#[tokio::test]
async fn chat_completion_answers_with_text() {
    let server = MockServer::start().await;
    let request = CreateChatCompletionRequestArgs::default()
        .model(MODEL)
        .messages([user("Write one sentence about the sea.")])
        .build()
        .unwrap();
    let answer = client(&server).chat().create(request).await.unwrap();
    assert_eq!(answer.model, MODEL);
    let choice = &answer.choices[0];
    assert_eq!(choice.finish_reason, Some(FinishReason::Stop));
    let text = choice.message.content.as_deref().unwrap_or_default();
    assert!(!text.trim().is_empty(), "{answer:?}");
    let usage = answer.usage.expect("usage");
    assert!(usage.prompt_tokens > 0 && usage.completion_tokens > 0);
}

#[tokio::test]
async fn streamed_chat_completion_adds_up_to_the_text() {
    let server = MockServer::start().await;
    let client = client(&server);
    let request = CreateChatCompletionRequestArgs::default()
        .model(MODEL)
        .messages([user("Tell me a short story about a lighthouse keeper.")])
        .stream_options(ChatCompletionStreamOptions {
            include_usage: Some(true),
            include_obfuscation: None,
        })
        .build()
        .unwrap();
    let mut stream = client.chat().create_stream(request).await.unwrap();
    let (mut text, mut deltas, mut finish, mut usage) = (String::new(), 0, None, None);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        for choice in &chunk.choices {
            if let Some(delta) = &choice.delta.content {
                text.push_str(delta);
                deltas += 1;
            }
            finish = finish.or(choice.finish_reason);
        }
        usage = usage.or(chunk.usage);
    }
    assert!(deltas > 1, "{deltas} deltas");
    assert!(!text.trim().is_empty());
    assert_eq!(finish, Some(FinishReason::Stop));
    assert!(usage.expect("a usage chunk").completion_tokens > 0);

    // The same request unstreamed gives the same text.
    let request = CreateChatCompletionRequestArgs::default()
        .model(MODEL)
        .messages([user("Tell me a short story about a lighthouse keeper.")])
        .build()
        .unwrap();
    let whole = client.chat().create(request).await.unwrap();
    assert_eq!(whole.choices[0].message.content.as_deref(), Some(&*text));
}

#[tokio::test]
async fn chat_tool_call_round_trip_ends_in_an_answer() {
    let server = MockServer::start().await;
    let client = client(&server);
    let tools = vec![ChatCompletionTools::Function(ChatCompletionTool {
        function: FunctionObjectArgs::default()
            .name("get_weather")
            .description("Get the current weather for a city")
            .parameters(weather_parameters())
            .build()
            .unwrap(),
    })];
    let mut messages = vec![user(WEATHER_PROMPT)];
    let request = CreateChatCompletionRequestArgs::default()
        .model(MODEL)
        .messages(messages.clone())
        .tools(tools.clone())
        .build()
        .unwrap();
    let first = client.chat().create(request).await.unwrap();
    let choice = &first.choices[0];
    assert_eq!(choice.finish_reason, Some(FinishReason::ToolCalls));
    let calls = choice.message.tool_calls.clone().expect("tool calls");
    assert_eq!(calls.len(), 1, "{calls:?}");
    let ChatCompletionMessageToolCalls::Function(call) = &calls[0] else {
        panic!("not a function call: {calls:?}");
    };
    assert_eq!(call.function.name, "get_weather");
    let args = weather_arguments(&call.function.arguments);

    messages.push(
        ChatCompletionRequestAssistantMessageArgs::default()
            .tool_calls(calls.clone())
            .build()
            .unwrap()
            .into(),
    );
    let result = json!({"city": args["city"], "temperature": 18, "conditions": "sunny"});
    messages.push(
        ChatCompletionRequestToolMessageArgs::default()
            .tool_call_id(call.id.clone())
            .content(result.to_string())
            .build()
            .unwrap()
            .into(),
    );
    let request = CreateChatCompletionRequestArgs::default()
        .model(MODEL)
        .messages(messages)
        .tools(tools)
        .build()
        .unwrap();
    let last = client.chat().create(request).await.unwrap();
    let choice = &last.choices[0];
    assert_eq!(choice.finish_reason, Some(FinishReason::Stop));
    assert!(choice.message.tool_calls.is_none(), "{choice:?}");
    let text = choice.message.content.as_deref().unwrap_or_default();
    assert!(
        text.contains("18"),
        "the answer uses the tool's result: {text}"
    );
}

#[tokio::test]
async fn embeddings_have_the_model_length() {
    let server = MockServer::start().await;
    let request = CreateEmbeddingRequestArgs::default()
        .model("text-embedding-3-small")
        .input(EmbeddingInput::StringArray(vec![
            "a cat on a mat".into(),
            "a dog in the fog".into(),
        ]))
        .build()
        .unwrap();
    let answer = client(&server).embeddings().create(request).await.unwrap();
    assert_eq!(answer.data.len(), 2);
    for (i, item) in answer.data.iter().enumerate() {
        assert_eq!(item.index as usize, i);
        assert_eq!(item.embedding.len(), 1536);
        let norm: f32 = item.embedding.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-3, "norm {norm}");
    }
    assert!(answer.usage.prompt_tokens > 0);
}

#[tokio::test]
async fn response_answers_with_text_plain_and_streamed() {
    let server = MockServer::start().await;
    let client = client(&server);
    let request = CreateResponseArgs::default()
        .model(MODEL)
        .input("Write one sentence about the sea.")
        .build()
        .unwrap();
    let response = client.responses().create(request.clone()).await.unwrap();
    assert_eq!(response.status, Status::Completed);
    let text = response.output_text().expect("output text");
    assert!(!text.trim().is_empty());

    let mut stream = client.responses().create_stream(request).await.unwrap();
    let (mut streamed, mut completed) = (String::new(), None);
    while let Some(event) = stream.next().await {
        match event.unwrap() {
            ResponseStreamEvent::ResponseOutputTextDelta(delta) => streamed.push_str(&delta.delta),
            ResponseStreamEvent::ResponseCompleted(done) => completed = Some(done.response),
            _ => {}
        }
    }
    let completed = completed.expect("a response.completed event");
    assert_eq!(completed.status, Status::Completed);
    assert_eq!(completed.output_text().as_deref(), Some(&*streamed));
    assert_eq!(streamed, text, "streamed and plain answers agree");
}

#[tokio::test]
async fn response_function_tool_without_strict_round_trip() {
    let server = MockServer::start().await;
    let client = client(&server);
    // No `.strict(..)`: the real API and the crate allow leaving it out.
    let tool = FunctionToolArgs::default()
        .name("get_weather")
        .description("Get the current weather for a city")
        .parameters(weather_parameters())
        .build()
        .unwrap();
    let request = CreateResponseArgs::default()
        .model(MODEL)
        .input(WEATHER_PROMPT)
        .tools(vec![tool.clone().into()])
        .build()
        .unwrap();
    let first = client.responses().create(request).await.unwrap();
    assert_eq!(first.status, Status::Completed);
    let call = first
        .output
        .iter()
        .find_map(|item| match item {
            OutputItem::FunctionCall(call) => Some(call.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no function call in {:?}", first.output));
    assert_eq!(call.name, "get_weather");
    let args = weather_arguments(&call.arguments);

    // Send the whole turn back (the user message, the call, its output), as a stateless app does.
    let result = json!({"city": args["city"], "temperature": 18, "conditions": "sunny"});
    let input: Vec<InputItem> = vec![
        InputItem::EasyMessage(EasyInputMessage {
            content: WEATHER_PROMPT.into(),
            ..Default::default()
        }),
        OutputItem::FunctionCall(call.clone()).into(),
        Item::FunctionCallOutput(FunctionCallOutputItemParam {
            call_id: Some(call.call_id.clone()),
            output: FunctionCallOutput::Text(result.to_string()),
            id: None,
            status: None,
            name: None,
            namespace: None,
            caller: None,
        })
        .into(),
    ];
    let request = CreateResponseArgs::default()
        .model(MODEL)
        .input(InputParam::Items(input))
        .tools(vec![tool.into()])
        .build()
        .unwrap();
    let last = client.responses().create(request).await.unwrap();
    assert_eq!(last.status, Status::Completed);
    assert!(
        !last
            .output
            .iter()
            .any(|item| matches!(item, OutputItem::FunctionCall(_))),
        "the tool is not called again: {:?}",
        last.output
    );
    let text = last.output_text().expect("a final answer");
    assert!(
        text.contains("18"),
        "the answer uses the tool's result: {text}"
    );
}
