//! A list of named steps, run in order, with a summary table and an overall line.
//!
//! `cargo xtask test` is built from these; adding a check is one `steps.add(name, closure)`.
//! Every step runs even after another failed (so one run shows every problem); a step that
//! needs an earlier one's output reports that it is missing.

use crate::Result;
use std::time::Instant;

type StepFn<'a, C> = Box<dyn FnOnce(&mut C) -> Result<String> + 'a>;

pub struct Steps<'a, C> {
    title: String,
    steps: Vec<(String, StepFn<'a, C>)>,
}

struct Outcome {
    name: String,
    result: Result<String>,
    seconds: f64,
}

impl<'a, C> Steps<'a, C> {
    pub fn new(title: &str) -> Self {
        Self {
            title: title.to_string(),
            steps: Vec::new(),
        }
    }

    /// Adds a step; it returns a short note on success, an error message on failure.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        step: impl FnOnce(&mut C) -> Result<String> + 'a,
    ) {
        self.steps.push((name.into(), Box::new(step)));
    }

    /// Runs every step and prints the summary; true when all passed.
    pub fn run(self, context: &mut C) -> bool {
        let started = Instant::now();
        let mut outcomes = Vec::new();
        for (name, step) in self.steps {
            println!("\n==> {name}");
            let step_started = Instant::now();
            let result = step(context);
            let seconds = step_started.elapsed().as_secs_f64();
            match &result {
                Ok(note) if note.is_empty() => println!("<== {name}: pass ({seconds:.1} s)"),
                Ok(note) => println!("<== {name}: pass ({seconds:.1} s): {note}"),
                Err(message) => println!("<== {name}: FAIL ({seconds:.1} s)\n{message}"),
            }
            outcomes.push(Outcome {
                name,
                result,
                seconds,
            });
        }
        print!(
            "{}",
            summary(&self.title, &outcomes, started.elapsed().as_secs_f64())
        );
        outcomes.iter().all(|outcome| outcome.result.is_ok())
    }
}

fn summary(title: &str, outcomes: &[Outcome], total_seconds: f64) -> String {
    let width = outcomes
        .iter()
        .map(|o| o.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut text = format!("\n==== {title}: summary ====\n");
    text += &format!(
        "{:<width$}  {:<6}  {:>8}  note\n",
        "step", "result", "seconds"
    );
    for outcome in outcomes {
        let (result, note) = match &outcome.result {
            Ok(note) => ("pass", note.clone()),
            // The full message was printed after the step; the table keeps its first line.
            Err(message) => ("FAIL", message.lines().next().unwrap_or("").to_string()),
        };
        text += &format!(
            "{:<width$}  {result:<6}  {:>8.1}  {note}\n",
            outcome.name, outcome.seconds
        );
    }
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.result.is_err())
        .map(|o| o.name.as_str())
        .collect();
    text += &if failed.is_empty() {
        format!(
            "==== OVERALL: PASS ({} of {} steps passed in {total_seconds:.1} s) ====\n",
            outcomes.len(),
            outcomes.len()
        )
    } else {
        format!(
            "==== OVERALL: FAIL ({} of {} steps failed: {}; {total_seconds:.1} s) ====\n",
            failed.len(),
            outcomes.len(),
            failed.join(", ")
        )
    };
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_runs_and_the_context_carries_results() {
        let mut steps = Steps::new("t");
        steps.add("produce", |log: &mut Vec<&str>| {
            log.push("produced");
            Ok(String::new())
        });
        steps.add("fail", |_: &mut Vec<&str>| Err("broken\ndetail".into()));
        steps.add("consume", |log: &mut Vec<&str>| {
            if log.contains(&"produced") {
                Ok("saw it".into())
            } else {
                Err("missing".into())
            }
        });
        let mut log = Vec::new();
        assert!(!steps.run(&mut log), "one step failed");
    }

    #[test]
    fn summary_names_failures_and_ends_with_the_overall_line() {
        let outcomes = [
            Outcome {
                name: "setup".into(),
                result: Ok(String::new()),
                seconds: 0.25,
            },
            Outcome {
                name: "host tests".into(),
                result: Err("2 failed\nmore".into()),
                seconds: 3.0,
            },
        ];
        let text = summary("cargo xtask test", &outcomes, 3.3);
        assert!(
            text.contains("host tests  FAIL         3.0  2 failed\n"),
            "{text}"
        );
        assert!(!text.contains("more"));
        assert!(
            text.trim_end()
                .ends_with("==== OVERALL: FAIL (1 of 2 steps failed: host tests; 3.3 s) ===="),
            "{text}"
        );
        let passing = summary("t", &outcomes[..1], 0.3);
        assert!(passing
            .trim_end()
            .ends_with("==== OVERALL: PASS (1 of 1 steps passed in 0.3 s) ===="));
    }
}
