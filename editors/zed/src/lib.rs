//! Zed extension for Neural DSL: starts `neural-lsp` (from `pipx install neural-dsl`) found on
//! the worktree's PATH. Everything else (diagnostics, hovers, inlay hints, semantic tokens)
//! comes from the server.
use zed_extension_api::{self as zed, LanguageServerId, Result};

struct NeuralExtension;

impl zed::Extension for NeuralExtension {
    fn new() -> Self {
        NeuralExtension
    }

    fn language_server_command(
        &mut self,
        _language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<zed::Command> {
        let command = worktree
            .which("neural-lsp")
            .ok_or_else(|| "neural-lsp is not on PATH: install it with `pipx install neural-dsl`".to_string())?;
        Ok(zed::Command {
            command,
            args: vec![],
            env: worktree.shell_env(),
        })
    }
}

zed::register_extension!(NeuralExtension);
