//! `--data` as the AWS CLI reads it: the text as given, `fileb://PATH` (bytes),
//! `file://PATH` (text), `-` (stdin); text decoded from base64 with
//! `--cli-binary-format base64`.

use crate::args::BinaryFormat;
use crate::failure::Failure;
use base64::Engine as _;
use std::io::Read;

/// The bytes `--data ARG` stands for.
pub fn read(arg: &str, format: BinaryFormat) -> Result<Vec<u8>, Failure> {
    if let Some(path) = arg.strip_prefix("fileb://") {
        return std::fs::read(path)
            .map_err(|e| Failure::input(format!("cannot read --data fileb://{path}: {e}")));
    }
    if arg == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Failure::input(format!("cannot read --data from stdin: {e}")))?;
        return Ok(buf);
    }
    let text = match arg.strip_prefix("file://") {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Failure::input(format!("cannot read --data file://{path}: {e}")))?,
        None => arg.to_string(),
    };
    match format {
        BinaryFormat::RawInBase64Out => Ok(text.into_bytes()),
        BinaryFormat::Base64 => base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| {
                Failure::input(format!(
                    "--data is not valid base64 ({e}); with --cli-binary-format base64 the \
                     text must be base64, use raw-in-base64-out to send it as is"
                ))
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_files_and_base64() {
        assert_eq!(read("hi", BinaryFormat::RawInBase64Out).unwrap(), b"hi");
        assert_eq!(read("aGk=", BinaryFormat::Base64).unwrap(), b"hi");
        assert_eq!(
            read("not base64!", BinaryFormat::Base64).unwrap_err().code,
            252
        );
        let dir = std::env::temp_dir().join(format!("apigw-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("d.bin");
        std::fs::write(&file, [0u8, 255]).unwrap();
        let path = file.display();
        assert_eq!(
            read(&format!("fileb://{path}"), BinaryFormat::Base64).unwrap(),
            [0, 255]
        );
        std::fs::write(&file, "aGk=\n").unwrap();
        assert_eq!(
            read(&format!("file://{path}"), BinaryFormat::Base64).unwrap(),
            b"hi"
        );
        assert_eq!(
            read(&format!("file://{path}"), BinaryFormat::RawInBase64Out).unwrap(),
            b"aGk=\n"
        );
        let missing = read("file:///nonexistent/x", BinaryFormat::RawInBase64Out).unwrap_err();
        assert!(
            missing.message.contains("/nonexistent/x"),
            "{}",
            missing.message
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
