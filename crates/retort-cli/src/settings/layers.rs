//! The TOML layers of the configuration (the config file and its `--env` overlay, or the
//! configuration built into the binary), handed to figment, and figment's errors turned back
//! into ours with the layer and line each value came from.

use std::fs;
use std::path::{Path, PathBuf};

use figment::providers::{Format, Toml};
use figment::value::{Dict, Map};
use figment::{Metadata, Profile, Source};

use crate::paths::display_path;
use crate::settings::ENV_PREFIX;
use crate::settings::error::{ConfigError, Origin};

/// One TOML layer: a file, or text built into the binary.
#[derive(Debug, Clone)]
pub(crate) struct Layer {
    /// As shown in messages: `config/retort.toml`, or `config/retort.toml (built in)`.
    pub(crate) shown: String,
    pub(crate) text: String,
    /// The file, for a file layer.
    path: Option<PathBuf>,
}

/// Every layer of one configuration, and the project root that file names are shown from.
#[derive(Debug, Clone)]
pub(crate) struct Layers {
    pub(crate) root: PathBuf,
    pub(crate) layers: Vec<Layer>,
}

impl Layer {
    /// Reads a TOML file and checks its syntax, for an error with line and column (figment
    /// would report the same problem less precisely).
    pub(crate) fn read_file(root: &Path, path: &Path) -> Result<Layer, ConfigError> {
        let shown = display_path(root, path);
        let text = fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        check_syntax(&shown, &text)?;
        Ok(Layer {
            shown,
            text,
            path: Some(path.to_path_buf()),
        })
    }

    /// Text the binary carries, shown as `shown`; its syntax is checked as a file's is.
    pub(crate) fn built_in(shown: String, text: &str) -> Result<Layer, ConfigError> {
        check_syntax(&shown, text)?;
        Ok(Layer {
            shown,
            text: text.to_owned(),
            path: None,
        })
    }
}

impl figment::Provider for Layer {
    fn metadata(&self) -> Metadata {
        let source = match &self.path {
            Some(path) => Source::File(path.clone()),
            None => Source::Custom(self.shown.clone()),
        };
        Metadata::from(self.shown.clone(), source)
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Toml::string(&self.text).data()
    }
}

impl Layers {
    /// Every layer, as one origin.
    pub(crate) fn origin(&self) -> Origin {
        let shown: Vec<String> = self
            .layers
            .iter()
            .map(|layer| layer.shown.clone())
            .collect();
        match <[String; 1]>::try_from(shown) {
            Ok([single]) => Origin::File {
                path: single,
                line: None,
            },
            Err(shown) => Origin::Files(shown),
        }
    }

    /// A layer and the line of `keys` in it, or for an environment value the variable that
    /// holds `keys`.
    pub(crate) fn origin_of_metadata<K: AsRef<str>>(
        &self,
        metadata: &Metadata,
        keys: &[K],
    ) -> Origin {
        let layer = match &metadata.source {
            Some(Source::File(path)) => self
                .layers
                .iter()
                .find(|layer| layer.path.as_deref() == Some(path.as_path())),
            Some(Source::Custom(shown)) => self.layers.iter().find(|layer| layer.shown == *shown),
            _ => None,
        };
        match (layer, &metadata.source) {
            (Some(layer), _) => Origin::File {
                path: layer.shown.clone(),
                line: line_of_key(&layer.text, keys),
            },
            (None, Some(Source::File(path))) => Origin::File {
                path: display_path(&self.root, path),
                line: None,
            },
            (None, _) => {
                let nested: Vec<String> = keys
                    .iter()
                    .map(|key| key.as_ref().to_ascii_uppercase())
                    .collect();
                Origin::Variable(format!("{ENV_PREFIX}{}", nested.join("__")))
            }
        }
    }

    /// Turns figment's errors (it reports every one) into ours.
    pub(crate) fn convert_figment_errors(&self, error: figment::Error) -> ConfigError {
        let problems: Vec<ConfigError> = error
            .into_iter()
            .map(|error| self.convert_figment_error(error))
            .collect();
        ConfigError::from_problems(problems).unwrap_or_else(|| ConfigError::Other {
            origin: self.origin(),
            message: "the configuration could not be read".to_owned(),
        })
    }

    fn convert_figment_error(&self, error: figment::Error) -> ConfigError {
        let origin_of = |keys: &[String]| match &error.metadata {
            Some(metadata) => self.origin_of_metadata(metadata, keys),
            None => self.origin(),
        };
        let origin = origin_of(&error.path);
        let key = error.path.join(".");
        match &error.kind {
            figment::error::Kind::UnknownField(field, expected) => {
                let mut key_path = error.path.clone();
                if key_path.last() != Some(field) {
                    key_path.push(field.clone());
                }
                // The unknown key's own line, not its table's.
                let origin = origin_of(&key_path);
                ConfigError::UnknownKey {
                    key: key_path.join("."),
                    origin,
                    expected: expected.iter().map(|name| (*name).to_owned()).collect(),
                }
            }
            kind if key.is_empty() => ConfigError::Other {
                origin,
                message: kind.to_string().trim().to_owned(),
            },
            kind => ConfigError::InvalidValue {
                key,
                origin,
                message: kind.to_string().trim().to_owned(),
            },
        }
    }
}

/// The TOML syntax error of `text`, with its line and column.
fn check_syntax(shown: &str, text: &str) -> Result<(), ConfigError> {
    let Err(error) = toml::from_str::<toml::Table>(text) else {
        return Ok(());
    };
    let offset = error.span().map_or(0, |span| span.start);
    let before = text.get(..offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |line_text| line_text.chars().count())
        + 1;
    Err(ConfigError::Syntax {
        path: shown.to_owned(),
        line,
        column,
        message: error.message().trim().to_owned(),
    })
}

/// The line (from 1) of the key at `keys` in the TOML `text`; `None` when the text does not
/// parse or has no such key (the value came from elsewhere).
fn line_of_key<K: AsRef<str>>(text: &str, keys: &[K]) -> Option<usize> {
    let document = toml::de::DeTable::parse(text).ok()?;
    let mut table = document.get_ref();
    let mut key_start = None;
    for (depth, key) in keys.iter().enumerate() {
        let (found, value) = table
            .iter()
            .find(|(name, _)| name.get_ref().as_ref() == key.as_ref())?;
        key_start = Some(found.span().start);
        if depth + 1 < keys.len() {
            table = value.get_ref().as_table()?;
        }
    }
    let before = text.get(..key_start?)?;
    Some(before.matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_on_their_lines() {
        let text = "# databases\n[databases.app]\nurl = \"sqlite:app.db\"\n\n[databases.other]\nafter = [\"app\"]\ninline = { deep = 1 }\n";
        assert_eq!(line_of_key(text, &["databases", "app"]), Some(2));
        assert_eq!(line_of_key(text, &["databases", "app", "url"]), Some(3));
        assert_eq!(line_of_key(text, &["databases", "other", "after"]), Some(6));
        assert_eq!(
            line_of_key(text, &["databases", "other", "inline", "deep"]),
            Some(7)
        );
        assert_eq!(line_of_key(text, &["databases", "app", "versions"]), None);
        assert_eq!(line_of_key("not [ toml", &["databases"]), None);
    }

    #[test]
    fn built_in_text_is_checked_like_a_file() {
        let error = Layer::built_in("config/retort.toml (built in)".to_owned(), "[databases\n")
            .expect_err("a syntax error");
        assert!(
            error
                .to_string()
                .starts_with("config/retort.toml (built in):1:11: invalid TOML"),
            "{error}"
        );
    }
}
