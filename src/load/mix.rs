//! Request mixes: several requests with integer weights, spread over the run
//! by a precomputed wheel. The wheel is built once per run by smooth weighted
//! round robin (the interleaving nginx uses), so any stretch of it holds each
//! request in proportion to its weight, not in bursts. Each connection walks
//! the wheel from its own offset; picking the next request is an index step,
//! so the hot path neither allocates nor draws random numbers, and the sent
//! counts match the weights to within one wheel turn per connection.

use super::EngineError;
use super::request::RequestSpec;

/// One entry of a request mix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeightedRequest {
    /// Entries that share a name share one set of per-name statistics.
    pub name: String,
    pub spec: RequestSpec,
    pub weight: u32,
}

/// Per-name statistics cost two histograms per name per interval; beyond
/// this many names the figures would stop fitting on any screen anyway.
pub const MAX_NAMES: usize = 64;
/// Longest wheel (after dividing the weights by their common divisor).
const MAX_WHEEL: u64 = 100_000;

/// Names of the mix in first-seen order, and each entry's name index.
pub(crate) fn name_slots(requests: &[WeightedRequest]) -> (Vec<String>, Vec<usize>) {
    let mut names: Vec<String> = Vec::new();
    let slots = requests
        .iter()
        .map(
            |request| match names.iter().position(|n| *n == request.name) {
                Some(slot) => slot,
                None => {
                    names.push(request.name.clone());
                    names.len() - 1
                }
            },
        )
        .collect();
    (names, slots)
}

/// The names a run reports one by one: the mix's names in first-seen order
/// (empty when there is only one, which is the whole).
pub fn reported_names(requests: &[WeightedRequest]) -> Vec<String> {
    let (names, _) = name_slots(requests);
    if names.len() > 1 { names } else { Vec::new() }
}

pub(crate) fn validate(requests: &[WeightedRequest]) -> Result<(), EngineError> {
    if requests.is_empty() {
        return Err(EngineError::InvalidConfig("no request to send".into()));
    }
    if requests.iter().any(|r| r.weight == 0) {
        return Err(EngineError::InvalidConfig(
            "request weights must be at least 1".into(),
        ));
    }
    if requests.len() > usize::from(u16::MAX) {
        return Err(EngineError::InvalidConfig(format!(
            "a mix holds at most {} requests",
            u16::MAX
        )));
    }
    let (names, _) = name_slots(requests);
    if names.len() > MAX_NAMES {
        return Err(EngineError::InvalidConfig(format!(
            "a mix has at most {MAX_NAMES} request names (got {}); give related requests one name",
            names.len()
        )));
    }
    let total = reduced_weights(requests).iter().sum::<u64>();
    if total > MAX_WHEEL {
        return Err(EngineError::InvalidConfig(format!(
            "request weights are too fine-grained: they need a cycle of {total} requests \
             (at most {MAX_WHEEL}); use smaller weights"
        )));
    }
    for request in requests {
        request.spec.validate()?;
    }
    Ok(())
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn reduced_weights(requests: &[WeightedRequest]) -> Vec<u64> {
    let divisor = requests
        .iter()
        .fold(0, |acc, r| gcd(acc, u64::from(r.weight)))
        .max(1);
    requests
        .iter()
        .map(|r| u64::from(r.weight) / divisor)
        .collect()
}

/// The order in which entries are sent: one full cycle of smooth weighted
/// round robin over the reduced weights.
pub(crate) fn wheel(requests: &[WeightedRequest]) -> Vec<u16> {
    let weights = reduced_weights(requests);
    if weights.iter().all(|&w| w == 1) {
        return (0..weights.len()).map(|i| i as u16).collect();
    }
    let total: i64 = weights.iter().map(|&w| w as i64).sum();
    let mut current = vec![0i64; weights.len()];
    let mut order = Vec::with_capacity(total as usize);
    for _ in 0..total {
        for (now, &weight) in current.iter_mut().zip(&weights) {
            *now += weight as i64;
        }
        let (best, _) = current
            .iter()
            .enumerate()
            .max_by_key(|&(index, &value)| (value, std::cmp::Reverse(index)))
            .unwrap_or((0, &0));
        current[best] -= total;
        order.push(best as u16);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mix(weights: &[(&str, u32)]) -> Vec<WeightedRequest> {
        weights
            .iter()
            .map(|&(name, weight)| WeightedRequest {
                name: name.into(),
                spec: RequestSpec::get("h", format!("/{name}")),
                weight,
            })
            .collect()
    }

    #[test]
    fn wheel_holds_each_request_by_weight_and_interleaves() {
        let requests = mix(&[("a", 90), ("b", 10)]);
        let order = wheel(&requests);
        assert_eq!(order.len(), 10);
        assert_eq!(order.iter().filter(|&&i| i == 1).count(), 1);
        let order = wheel(&mix(&[("a", 3), ("b", 2)]));
        assert_eq!(order, vec![0, 1, 0, 1, 0]);
        let order = wheel(&mix(&[("a", 1), ("b", 1), ("c", 1)]));
        assert_eq!(order, vec![0, 1, 2]);
    }

    #[test]
    fn shared_names_share_a_slot() {
        let (names, slots) = name_slots(&mix(&[("a", 1), ("b", 1), ("a", 2)]));
        assert_eq!(names, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(slots, vec![0, 1, 0]);
    }

    #[test]
    fn bad_weights_are_refused() {
        assert!(validate(&mix(&[("a", 0)])).is_err());
        assert!(validate(&[]).is_err());
        let coprime = mix(&[("a", 99_991), ("b", 99_989)]);
        let message = validate(&coprime).unwrap_err().to_string();
        assert!(message.contains("too fine-grained"), "{message}");
        assert!(validate(&mix(&[("a", 70_000), ("b", 30_000)])).is_ok());
    }
}
