//! `--shard I/N`: this process produces its share of the plan's load, so N
//! generators on N machines together apply the plan once. The open model
//! splits the rate, the closed model the connections, a request budget its
//! count; reports of all shards merge exactly with `loadtop merge`.

use crate::load::Model;
use crate::parse::Shard;

use super::{PlanError, RunPlan};

/// The `index`-th (1-based) of `count` near-equal integer parts of `total`.
fn share(total: u64, shard: Shard) -> u64 {
    let count = u64::from(shard.count);
    let index = u64::from(shard.index);
    total / count + u64::from(index <= total % count)
}

impl RunPlan {
    pub fn apply_shard(&mut self, shard: Shard) -> Result<(), PlanError> {
        let fraction = 1.0 / f64::from(shard.count);
        let closed_connections = |connections: usize| -> Result<usize, PlanError> {
            let part = share(connections as u64, shard) as usize;
            if part == 0 {
                return Err(PlanError::Invalid(format!(
                    "{connections} connections cannot be split into {} shards",
                    shard.count
                )));
            }
            Ok(part)
        };
        for stage in &mut self.stages {
            if let Model::Open { rate } = &mut stage.model {
                *rate *= fraction;
                if *rate < 1.0 {
                    return Err(PlanError::Invalid(format!(
                        "stage `{}`: its rate split into {} shards is below 1 req/s",
                        stage.name, shard.count
                    )));
                }
            }
            if stage.model == Model::Closed
                && let Some(connections) = stage.connections
            {
                stage.connections = Some(closed_connections(connections)?);
            }
        }
        if self
            .stages
            .iter()
            .any(|s| s.model == Model::Closed && s.connections.is_none())
        {
            self.connections = closed_connections(self.connections)?;
        }
        if let Some(budget) = self.max_requests {
            self.max_requests = Some(share(budget, shard).max(1));
        }
        self.threads = self.threads.min(self.connections).max(1);
        self.shard = Some(shard);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_the_total() {
        for total in [0u64, 1, 7, 100, 101] {
            let sum: u64 = (1..=3)
                .map(|index| share(total, Shard { index, count: 3 }))
                .sum();
            assert_eq!(sum, total);
        }
        assert_eq!(share(100, Shard { index: 1, count: 3 }), 34);
        assert_eq!(share(100, Shard { index: 3, count: 3 }), 33);
    }
}
