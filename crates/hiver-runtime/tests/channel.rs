//! The cross-core channel under several producer threads.

use std::{
    sync::{Arc, Barrier},
    thread,
    time::Duration,
};

use hiver_runtime::channel::{TryRecvError, channel};

fn block_on<F: Future>(f: F) -> F::Output {
    hiver_runtime::Runtime::new().unwrap().block_on(f)
}

#[test]
fn many_producers_lose_nothing_and_keep_per_sender_order() {
    const PRODUCERS: usize = 4;
    const EACH: usize = 20_000;
    let (tx, mut rx) = channel::<(usize, usize)>();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..EACH {
                    tx.send((p, i)).unwrap();
                    if i % 1000 == 0 {
                        // Let the receiver drain and park, so wakeups are exercised.
                        thread::sleep(Duration::from_micros(200));
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let next = block_on(async move {
        let mut next = [0usize; PRODUCERS];
        while let Some((p, i)) = rx.recv().await {
            assert_eq!(i, next[p], "producer {p} out of order");
            next[p] += 1;
        }
        next
    });
    for p in producers {
        p.join().unwrap();
    }
    assert_eq!(next, [EACH; PRODUCERS]);
}

#[test]
fn every_single_wakeup_arrives() {
    // Ping-pong: the receiver has parked before each send, so every message needs a
    // cross-thread wakeup. A lost one shows up as a timeout, not a hang.
    const ROUNDS: u32 = 2_000;
    let (tx, mut rx) = channel::<u32>();
    let (echo_tx, echo_rx) = std::sync::mpsc::channel();
    let worker = thread::spawn(move || {
        block_on(async move {
            while let Some(v) = rx.recv().await {
                echo_tx.send(v).unwrap();
            }
        })
    });
    for i in 0..ROUNDS {
        tx.send(i).unwrap();
        let back = echo_rx
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_else(|_| panic!("wakeup for message {i} lost"));
        assert_eq!(back, i);
    }
    drop(tx);
    worker.join().unwrap();
}

#[test]
fn receiver_moves_to_another_thread_and_is_woken_from_many() {
    let (tx, rx) = channel::<usize>();
    let barrier = Arc::new(Barrier::new(5));
    let worker = {
        let barrier = barrier.clone();
        thread::spawn(move || {
            let mut rx = rx;
            block_on(async move {
                barrier.wait();
                let mut sum = 0;
                while let Some(v) = rx.recv().await {
                    sum += v;
                }
                sum
            })
        })
    };
    let senders: Vec<_> = (1..=4)
        .map(|k| {
            let tx = tx.clone();
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                for _ in 0..1_000 {
                    tx.send(k).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    for s in senders {
        s.join().unwrap();
    }
    assert_eq!(worker.join().unwrap(), 1_000 * (1 + 2 + 3 + 4));
}

#[test]
fn closed_ends_are_reported() {
    let (tx, mut rx) = channel::<u8>();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(1).unwrap();
    let tx2 = tx.clone();
    drop(tx);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx2.send(2).unwrap();
    drop(tx2);
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(block_on(rx.recv()), None);

    let (tx, rx) = channel::<String>();
    assert!(!tx.is_closed());
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send("back".into()).unwrap_err().0, "back");
}

#[test]
fn sender_is_send_sync_clone_and_receiver_is_send() {
    fn assert_send_sync_clone<T: Send + Sync + Clone>() {}
    fn assert_send<T: Send>() {}
    assert_send_sync_clone::<hiver_runtime::channel::Sender<Vec<u8>>>();
    assert_send::<hiver_runtime::channel::Receiver<Vec<u8>>>();
    assert_send_sync_clone::<hiver_runtime::ServerHandle>();
}
