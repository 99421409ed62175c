//! Flag > environment variable > config file > default. This test sets process environment
//! variables, so it is the only test in this binary.

use openai_mock::config::LogFormat;
use openai_mock::Config;

#[test]
fn flags_beat_env_which_beats_the_file_which_beats_defaults() {
    let dir = std::env::temp_dir().join(format!("openai-mock-precedence-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let yaml = dir.join("mock.yaml");
    std::fs::write(
        &yaml,
        "# every level sets seed and port; only the file sets the rest\n\
         seed: 3\n\
         port: 3333\n\
         host: 0.0.0.0\n\
         https_port: 8443\n\
         api_keys: [sk-a, sk-b]\n\
         cors: false\n\
         log_format: json\n\
         request_timeout_secs: 5\n\
         rules: []\n",
    )
    .unwrap();
    std::env::set_var("OPENAI_MOCK_SEED", "2");
    std::env::set_var("OPENAI_MOCK_PORT", "2222");
    std::env::set_var("OPENAI_MOCK_CONFIG", &yaml);

    let config = Config::load_from(["openai-mock", "--seed", "1"]).expect("loads");
    assert_eq!(config.seed, Some(1), "flag over env and file");
    assert_eq!(config.port, 2222, "env over file");
    assert_eq!(config.host.to_string(), "0.0.0.0", "file over default");
    assert_eq!(config.https_port, Some(8443));
    assert_eq!(config.api_keys, ["sk-a", "sk-b"]);
    assert!(!config.cors);
    assert_eq!(config.log_format, LogFormat::Json);
    assert_eq!(config.request_timeout_secs, 5);
    assert_eq!(
        config.max_body_bytes,
        64 * 1024 * 1024,
        "default when nobody sets it"
    );

    // A flag for a list replaces the file's list rather than adding to it.
    let config = Config::load_from(["openai-mock", "--api-key", "sk-c"]).unwrap();
    assert_eq!(config.api_keys, ["sk-c"]);

    // The same settings as JSON.
    std::env::remove_var("OPENAI_MOCK_PORT");
    let json = dir.join("mock.json");
    std::fs::write(
        &json,
        r#"{"seed": 9, "port": 0, "http": false, "https_port": 0, "cors_origins": ["https://a.example"]}"#,
    )
    .unwrap();
    std::env::set_var("OPENAI_MOCK_CONFIG", &json);
    let config = Config::load_from(["openai-mock"]).unwrap();
    assert_eq!(config.seed, Some(2), "env over file");
    assert_eq!(
        (config.port, config.http, config.https_port),
        (0, false, Some(0))
    );
    assert_eq!(config.cors_origins, ["https://a.example"]);

    // `--config` on the command line beats OPENAI_MOCK_CONFIG.
    let config = Config::load_from(["openai-mock", "--config", yaml.to_str().unwrap()]).unwrap();
    assert_eq!(config.port, 3333);

    for name in ["OPENAI_MOCK_SEED", "OPENAI_MOCK_CONFIG"] {
        std::env::remove_var(name);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
