use std::collections::HashMap;

use proptest::prelude::*;

use super::*;

#[derive(Debug, Clone)]
enum Op {
    Insert(u64),
    Cancel(usize),
    Reset(usize, u64),
    Advance(u64),
}

fn span() -> impl Strategy<Value = u64> {
    prop_oneof![
        0..70u64,
        0..5_000u64,
        0..300_000u64,
        0..20_000_000u64,
        0..(1u64 << 40)
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => span().prop_map(Op::Insert),
        1 => any::<usize>().prop_map(Op::Cancel),
        1 => (any::<usize>(), span()).prop_map(|(i, d)| Op::Reset(i, d)),
        3 => span().prop_map(Op::Advance),
    ]
}

/// Drains everything due at `now` and checks it against the model.
fn advance(wheel: &mut Wheel<u64>, model: &mut HashMap<u64, u64>, now: u64) {
    if let Some(next) = wheel.next_expiry() {
        let earliest = model.values().min().copied();
        let ok = earliest.is_some_and(|e| next <= e.max(wheel.elapsed()));
        assert!(
            ok,
            "next_expiry {next} is later than the earliest deadline {earliest:?}"
        );
    } else {
        assert!(model.is_empty());
    }
    while let Some(id) = wheel.poll(now) {
        let deadline = model.remove(&id).expect("fired twice or never inserted");
        assert!(deadline <= now, "timer {id} due {deadline} fired at {now}");
    }
    let late: Vec<_> = model.iter().filter(|(_, d)| **d <= now).collect();
    assert!(late.is_empty(), "due but not fired at {now}: {late:?}");
    assert_eq!(wheel.len(), model.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn fires_each_timer_once_on_time(ops in proptest::collection::vec(op(), 1..200)) {
        let mut wheel = Wheel::new();
        let mut model: HashMap<u64, u64> = HashMap::new();
        let mut keys: Vec<(u64, TimerKey)> = Vec::new();
        let mut now = 0u64;
        for (id, op) in (0u64..).zip(ops) {
            match op {
                Op::Insert(d) => {
                    // Deadlines in the past are allowed and due at the next poll.
                    let deadline = (now + d).saturating_sub(30).min(MAX_TICK);
                    keys.push((id, wheel.insert(deadline, id)));
                    model.insert(id, deadline);
                }
                Op::Cancel(i) if !keys.is_empty() => {
                    let (id, key) = keys[i % keys.len()];
                    prop_assert_eq!(wheel.cancel(key), model.remove(&id).map(|_| id));
                    prop_assert_eq!(wheel.cancel(key), None);
                }
                Op::Reset(i, d) if !keys.is_empty() => {
                    let (id, key) = keys[i % keys.len()];
                    let pending = model.contains_key(&id);
                    prop_assert_eq!(wheel.reset(key, now + d), pending);
                    if pending {
                        model.insert(id, (now + d).min(MAX_TICK));
                    }
                }
                Op::Advance(d) => {
                    now += d;
                    advance(&mut wheel, &mut model, now);
                }
                Op::Cancel(_) | Op::Reset(..) => {}
            }
        }
        // Everything left fires by its deadline.
        while let Some(&d) = model.values().max() {
            now = now.max(d);
            advance(&mut wheel, &mut model, now);
        }
        prop_assert!(wheel.is_empty());
    }

    #[test]
    fn stepping_tick_by_tick_fires_exactly_at_deadline(deadlines in proptest::collection::vec(0..5_000u64, 1..50)) {
        let mut wheel = Wheel::new();
        for (id, &d) in deadlines.iter().enumerate() {
            wheel.insert(d, id);
        }
        let mut fired = vec![None; deadlines.len()];
        for now in 0..5_000u64 {
            while let Some(id) = wheel.poll(now) {
                prop_assert!(fired[id].is_none());
                fired[id] = Some(now);
            }
        }
        for (id, &d) in deadlines.iter().enumerate() {
            prop_assert_eq!(fired[id], Some(d));
        }
    }
}

#[test]
fn stale_key_after_reuse_is_ignored() {
    let mut wheel = Wheel::new();
    let a = wheel.insert(5, 'a');
    assert_eq!(wheel.poll(5), Some('a'));
    let b = wheel.insert(7, 'b');
    assert_eq!(wheel.cancel(a), None);
    assert!(!wheel.reset(a, 100));
    assert_eq!(wheel.deadline(b), Some(7));
    assert!(wheel.contains(b));
}

#[test]
fn far_deadlines_are_clamped() {
    let mut wheel = Wheel::new();
    let k = wheel.insert(u64::MAX, ());
    assert_eq!(wheel.deadline(k), Some(MAX_TICK));
    assert_eq!(wheel.poll(MAX_TICK - 1), None);
    assert_eq!(wheel.poll(u64::MAX), Some(()));
}

#[test]
fn reset_keeps_value_and_moves_deadline() {
    let mut wheel = Wheel::new();
    let k = wheel.insert(10, 1);
    assert!(wheel.reset(k, 100_000));
    assert_eq!(wheel.poll(50_000), None);
    *wheel.get_mut(k).unwrap() = 2;
    assert_eq!(wheel.next_expiry().map(|t| t <= 100_000), Some(true));
    assert_eq!(wheel.poll(100_000), Some(2));
}
