//! `clef history …` and `clef bookmarks …`: the profile's history, memory and bookmarks from
//! the command line. They open the profile's database directly (SQLite locks it), so they work
//! while a window is open on the same profile.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clef_agent::question;
use clef_browser::places;
use clef_browser::policies::{self, Feature};
use clef_profile::{BookmarkKind, NewBookmark, Profile, Store};

use crate::model_commands::ModelArgs;

#[derive(clap::Args)]
pub struct ProfileArg {
    /// The profile folder (default: `$XDG_DATA_HOME/clef/profile`).
    #[arg(long, value_name = "DIR")]
    pub profile: Option<PathBuf>,
}

impl ProfileArg {
    fn store(&self) -> anyhow::Result<Store> {
        let dir = profile_dir(self.profile.as_deref())?;
        let opened = Store::open(&Profile::database_in(&dir))?;
        if let Some(notice) = opened.notice {
            eprintln!("note: {notice}");
        }
        Ok(opened.store)
    }
}

/// The profile folder: the one given, or the default under the XDG data dir.
pub fn profile_dir(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    match given {
        Some(dir) => Ok(dir.to_owned()),
        None => dirs::data_dir()
            .map(|data| Profile::default_dir(&data))
            .context("no data folder ($XDG_DATA_HOME or $HOME): give --profile DIR"),
    }
}

#[derive(clap::Subcommand)]
pub enum HistoryCommand {
    /// Pages visited, newest first; with words, those whose address or title holds them all.
    List {
        words: Vec<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Ask about pages read before: the local model answers from what memory kept, citing the
    /// pages (`--list`: only the passages found, no model).
    Search {
        #[arg(required = true)]
        question: Vec<String>,
        #[arg(long)]
        list: bool,
        #[command(flatten)]
        profile: ProfileArg,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Forget one page (its visits and what memory kept of it).
    Delete {
        url: String,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Forget the last hour, day, or everything (history and memory).
    Clear {
        #[arg(value_parser = ["hour", "day", "all"])]
        since: String,
        #[command(flatten)]
        profile: ProfileArg,
    },
}

#[derive(clap::Subcommand)]
pub enum BookmarksCommand {
    /// Every bookmark, folder by folder.
    List {
        #[command(flatten)]
        profile: ProfileArg,
    },
    Add {
        url: String,
        #[arg(long)]
        title: Option<String>,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Remove a bookmark or folder by the id `list` shows.
    Remove {
        id: i64,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Import a bookmark file exported by Firefox, Chrome, Edge or Safari (HTML).
    Import {
        file: PathBuf,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Export every bookmark as an HTML bookmark file other browsers import.
    Export {
        file: PathBuf,
        #[command(flatten)]
        profile: ProfileArg,
    },
}

pub fn history(command: &HistoryCommand) -> anyhow::Result<()> {
    match command {
        HistoryCommand::List {
            words,
            limit,
            profile,
        } => {
            let store = profile.store()?;
            let mut out = String::new();
            for visit in store.history(&words.join(" "), *limit)? {
                out.push_str(&format!(
                    "{}\t{}\t{}\t{} visit{}\n",
                    clef_browser::utc::minutes(u64::try_from(visit.last_visit).unwrap_or(0)),
                    visit.url,
                    visit.title,
                    visit.visit_count,
                    if visit.visit_count == 1 { "" } else { "s" }
                ));
            }
            print_all(&out);
            Ok(())
        }
        HistoryCommand::Search {
            question,
            list,
            profile,
            model,
        } => search(&question.join(" "), *list, profile, model),
        HistoryCommand::Delete { url, profile } => {
            // The page's saved copy goes with its history entry.
            if let (Some(cache), Ok(parsed)) = (
                clef_browser::page_cache::PageCache::user_default(),
                url::Url::parse(url),
            ) {
                cache.forget(&parsed);
            }
            if profile.store()?.delete_page(url)? {
                println!("forgot {url}");
                Ok(())
            } else {
                anyhow::bail!("{url} is not in the history")
            }
        }
        HistoryCommand::Clear { since, profile } => {
            let now = clef_profile::now();
            let from = match since.as_str() {
                "hour" => now - 3_600,
                "day" => now - 86_400,
                _ => 0,
            };
            let pages = profile.store()?.clear_since(from)?;
            let copies = clef_browser::page_cache::PageCache::user_default().map_or(0, |cache| {
                cache.forget_since(u64::try_from(from).unwrap_or(0))
            });
            println!(
                "forgot {pages} pages and what memory kept of them, and {copies} saved copies"
            );
            Ok(())
        }
    }
}

fn search(
    question_text: &str,
    list_only: bool,
    profile: &ProfileArg,
    model: &ModelArgs,
) -> anyhow::Result<()> {
    let policies = policies::load();
    if policies.memory() == Some(false) {
        anyhow::bail!("memory of pages read is turned off by your organisation's policy");
    }
    let store = profile.store()?;
    let sources = places::memory_sources(&store, question_text)?;
    if sources.is_empty() {
        println!("Nothing in the pages you read matches that.");
        return Ok(());
    }
    if list_only {
        let mut out = String::new();
        for (index, source) in sources.iter().enumerate() {
            out.push_str(&format!(
                "{}. {}\n   {}\n",
                index + 1,
                source.title,
                source.url
            ));
            for passage in &source.items {
                out.push_str(&format!(
                    "   [{}.{}] {}\n",
                    index + 1,
                    passage.number,
                    passage.text
                ));
            }
        }
        print_all(&out);
        return Ok(());
    }
    crate::policy_notes(&policies);
    policies.check_feature(Feature::Questions)?;
    let mut model = clef_browser::assistant::LocalModel::start(model.options(None, &policies)?)?;
    let mut stdout = std::io::stdout();
    let answer = question::ask(&mut model, &sources, question_text, &mut |event| {
        if let question::Event::Token(text) = event {
            print!("{text}");
            let _ = stdout.flush();
        }
        ControlFlow::Continue(())
    })?;
    if answer.not_found {
        println!();
        return Ok(());
    }
    println!("\nSources:");
    let mut seen = Vec::new();
    for point in &answer.points {
        if seen.contains(&(point.source, point.passage)) {
            continue;
        }
        seen.push((point.source, point.passage));
        if let Some(source) = sources.get(point.source) {
            println!(
                "[{}.{}] {} — {}",
                point.source + 1,
                point.passage,
                source.title,
                source.url
            );
        }
    }
    Ok(())
}

pub fn bookmarks(command: &BookmarksCommand) -> anyhow::Result<()> {
    match command {
        BookmarksCommand::List { profile } => {
            let all = profile.store()?.bookmarks()?;
            let mut out = String::new();
            let depth = |mut parent: Option<i64>| {
                let mut depth = 0;
                while let Some(id) = parent {
                    depth += 1;
                    parent = all.iter().find(|b| b.id == id).and_then(|b| b.parent);
                }
                depth
            };
            for bookmark in &all {
                let indent = "  ".repeat(depth(bookmark.parent));
                match bookmark.kind {
                    BookmarkKind::Folder => {
                        out.push_str(&format!("{indent}{}\t[{}]/\n", bookmark.id, bookmark.title));
                    }
                    BookmarkKind::Link => out.push_str(&format!(
                        "{indent}{}\t{}\t{}\n",
                        bookmark.id,
                        bookmark.title,
                        bookmark.url.as_deref().unwrap_or_default()
                    )),
                }
            }
            print_all(&out);
            Ok(())
        }
        BookmarksCommand::Add {
            url,
            title,
            profile,
        } => {
            let parsed = url::Url::parse(url).with_context(|| format!("{url} is not a URL"))?;
            let id = profile.store()?.add_bookmark(&NewBookmark {
                parent: None,
                kind: BookmarkKind::Link,
                title: title.clone().unwrap_or_else(|| parsed.to_string()),
                url: Some(parsed.to_string()),
                added: clef_profile::now(),
            })?;
            println!("{id}\t{parsed}");
            Ok(())
        }
        BookmarksCommand::Remove { id, profile } => {
            if profile.store()?.remove_bookmark(*id)? {
                Ok(())
            } else {
                anyhow::bail!("no bookmark {id}")
            }
        }
        BookmarksCommand::Import { file, profile } => {
            let report =
                places::import_bookmarks(&profile.store()?, file).map_err(anyhow::Error::msg)?;
            println!("{report}");
            Ok(())
        }
        BookmarksCommand::Export { file, profile } => {
            let report =
                places::export_bookmarks(&profile.store()?, file).map_err(anyhow::Error::msg)?;
            println!("{report}");
            Ok(())
        }
    }
}

/// Print at once, a closed pipe ignored (`clef history list | head`).
fn print_all(text: &str) {
    let _ = std::io::stdout().write_all(text.as_bytes());
}
