//! Server transaction actors (shell): each live server transaction is a ractor actor whose
//! state is its sans-IO machine. The actor only moves data: messages from the dispatcher and
//! the TU go into the machine, `poll_transmit` goes to the transport, `poll_event` to the log
//! and the table, and one timer is re-armed to `poll_timeout` after every step (quinn's
//! `drive_timer`).
#![allow(clippy::disallowed_methods)] // shell: reads the clock for the machine

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use ractor::{Actor, ActorProcessingErr, ActorRef};

use super::table::{Delivery, Key, Parked, TransactionTable};
use super::{
    Retransmission, ServerInvite, ServerNonInvite, TimerConfig, TransactionError, TuEvent,
};
use crate::transport::{Transmit, Transports};

/// A server machine of either kind.
#[derive(Debug)]
pub enum ServerMachine {
    /// INVITE server transaction (RFC 3261 §17.2.1, RFC 6026).
    Invite(ServerInvite),
    /// Non-INVITE server transaction (§17.2.2).
    NonInvite(ServerNonInvite),
}

impl ServerMachine {
    /// A machine for a newly received request. `trying` is the `100 Trying` an INVITE server
    /// sends by itself (§17.2.1).
    pub fn new(
        invite: bool,
        trying: Option<Bytes>,
        reliable: bool,
        cfg: &TimerConfig,
        now: Instant,
    ) -> Self {
        if invite {
            ServerMachine::Invite(ServerInvite::new(trying, reliable, cfg, now))
        } else {
            ServerMachine::NonInvite(ServerNonInvite::new(reliable, cfg, now))
        }
    }

    fn retransmit(&mut self, now: Instant) -> Result<Retransmission, TransactionError> {
        match self {
            ServerMachine::Invite(m) => m.handle_request_retransmit(now),
            ServerMachine::NonInvite(m) => m.handle_request_retransmit(now),
        }
    }

    fn send_response(
        &mut self,
        status: u16,
        bytes: Bytes,
        now: Instant,
    ) -> Result<(), TransactionError> {
        match self {
            ServerMachine::Invite(m) => m.send_response(status, bytes, now),
            ServerMachine::NonInvite(m) => m.send_response(status, bytes, now),
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        match self {
            ServerMachine::Invite(m) => m.handle_timeout(now),
            ServerMachine::NonInvite(m) => m.handle_timeout(now),
        }
    }

    fn handle_transport_error(&mut self, now: Instant) {
        let _ = match self {
            ServerMachine::Invite(m) => m.handle_transport_error(now),
            ServerMachine::NonInvite(m) => m.handle_transport_error(now),
        };
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        match self {
            ServerMachine::Invite(m) => m.poll_transmit(),
            ServerMachine::NonInvite(m) => m.poll_transmit(),
        }
    }

    fn poll_event(&mut self) -> Option<TuEvent> {
        match self {
            ServerMachine::Invite(m) => m.poll_event(),
            ServerMachine::NonInvite(m) => m.poll_event(),
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match self {
            ServerMachine::Invite(m) => m.poll_timeout(),
            ServerMachine::NonInvite(m) => m.poll_timeout(),
        }
    }

    /// Whether the machine only waits on its timers and absorbs retransmissions (RFC 3261
    /// Completed / Confirmed, RFC 6026 Accepted): it no longer needs an actor.
    pub fn is_waiting(&self) -> bool {
        match self {
            ServerMachine::Invite(m) => matches!(
                m.state(),
                super::ServerInviteState::Completed
                    | super::ServerInviteState::Accepted
                    | super::ServerInviteState::Confirmed
            ),
            ServerMachine::NonInvite(m) => m.state() == super::ServerNonInviteState::Completed,
        }
    }

    /// A parked machine takes a retransmission or an ACK.
    pub(crate) fn step_delivery(&mut self, what: Delivery, now: Instant) -> Step {
        let before = self.poll_timeout();
        match what {
            Delivery::Retransmit => {
                let _ = self.retransmit(now);
            }
            Delivery::Ack => {
                if let ServerMachine::Invite(m) = self {
                    let _ = m.handle_ack(now);
                }
            }
        }
        self.outputs(before)
    }

    /// A parked machine's timer fired.
    pub(crate) fn step_timeout(&mut self, now: Instant) -> Step {
        let before = self.poll_timeout();
        self.handle_timeout(now);
        self.outputs(before)
    }

    fn outputs(&mut self, before: Option<Instant>) -> Step {
        let mut step = Step::default();
        while let Some(b) = self.poll_transmit() {
            step.transmits.push(b);
        }
        while let Some(ev) = self.poll_event() {
            if ev == TuEvent::Terminated {
                step.terminated = true;
            }
        }
        step.next_timeout = self.poll_timeout();
        step.rearm = step.next_timeout != before;
        step
    }

    /// Whether a final response has been sent (an INVITE that may still be cancelled has not).
    pub fn has_final(&self) -> bool {
        match self {
            ServerMachine::Invite(m) => m.state() != super::ServerInviteState::Proceeding,
            ServerMachine::NonInvite(m) => matches!(
                m.state(),
                super::ServerNonInviteState::Completed | super::ServerNonInviteState::Terminated
            ),
        }
    }
}

/// What a parked machine produced for one input.
#[derive(Debug, Default)]
pub struct Step {
    /// Wire bytes to send.
    pub transmits: Vec<Bytes>,
    /// The machine reached Terminated.
    pub terminated: bool,
    /// Its next deadline.
    pub next_timeout: Option<Instant>,
    /// The deadline changed (the timer must be re-armed).
    pub rearm: bool,
}

/// Messages a server transaction actor takes.
#[derive(Debug)]
pub enum TxnMsg {
    /// The request was received again (§17.2.3 matched it to this transaction).
    Retransmit,
    /// An ACK matched this INVITE transaction.
    Ack,
    /// The TU's response, serialized.
    Respond {
        /// Status code.
        status: u16,
        /// Wire bytes.
        bytes: Bytes,
    },
    /// A CANCEL matched this INVITE (§9.2): if no final was sent, send the given 487.
    Cancel {
        /// The `487 Request Terminated` to send if still pending.
        terminated: Bytes,
        /// Told whether the INVITE was still pending.
        reply: ractor::RpcReplyPort<bool>,
    },
    /// The actor's timer fired; the number tells stale timers apart.
    Timer(u64),
}

/// The behaviour of server transaction actors.
pub struct ServerTxn;

/// What a server transaction actor starts with.
pub struct ServerTxnArgs {
    /// The machine, already created with the request's arrival time.
    pub machine: ServerMachine,
    /// Where responses go (RFC 3261 §18.2.2), payload left empty.
    pub reply_to: Transmit,
    /// Its key in the table, to remove itself when it terminates.
    pub key: Key,
    /// The table it lives in.
    pub table: Arc<TransactionTable>,
    /// Sockets.
    pub transports: Transports,
}

/// The actor's state: the machine plus what the shell needs to drive it.
pub struct ServerTxnState {
    machine: ServerMachine,
    /// Set once the machine was handed to the table (the actor is stopping).
    parked: bool,
    reply_to: Transmit,
    key: Key,
    table: Arc<TransactionTable>,
    transports: Transports,
    /// The armed timer: its deadline, generation and task.
    timer: Option<(Instant, u64, tokio::task::JoinHandle<()>)>,
    timer_gen: u64,
}

impl Actor for ServerTxn {
    type Msg = TxnMsg;
    type State = ServerTxnState;
    type Arguments = ServerTxnArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: ServerTxnArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let mut st = ServerTxnState {
            machine: args.machine,
            parked: false,
            reply_to: args.reply_to,
            key: args.key,
            table: args.table,
            transports: args.transports,
            timer: None,
            timer_gen: 0,
        };
        drive(&myself, &mut st).await;
        Ok(st)
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        msg: TxnMsg,
        st: &mut ServerTxnState,
    ) -> Result<(), ActorProcessingErr> {
        let now = Instant::now();
        if st.parked {
            // The machine lives in the table now; this message raced the hand-over.
            return Ok(());
        }
        match msg {
            TxnMsg::Retransmit => {
                // Resent or absorbed, the TU never sees it again (§17.2.1, §17.2.2).
                if let Ok(Retransmission::Resent | Retransmission::Absorbed) =
                    st.machine.retransmit(now)
                {
                    st.table.stats.retransmissions_absorbed();
                }
            }
            TxnMsg::Ack => {
                if let ServerMachine::Invite(m) = &mut st.machine {
                    let _ = m.handle_ack(now);
                }
            }
            TxnMsg::Respond { status, bytes } => {
                if let Err(e) = st.machine.send_response(status, bytes, now) {
                    tracing::debug!(status, error = %e, "response refused by transaction");
                }
            }
            TxnMsg::Cancel { terminated, reply } => {
                let pending = !st.machine.has_final();
                if pending {
                    // RFC 3261 §9.2: the UAS answers the INVITE with 487.
                    let _ = st.machine.send_response(487, terminated, now);
                }
                let _ = reply.send(pending);
            }
            TxnMsg::Timer(gen) => {
                if st.timer.as_ref().is_some_and(|t| t.1 == gen) {
                    st.timer = None;
                }
                st.machine.handle_timeout(now);
            }
        }
        drive(&myself, st).await;
        Ok(())
    }

    async fn post_stop(
        &self,
        myself: ActorRef<Self::Msg>,
        st: &mut ServerTxnState,
    ) -> Result<(), ActorProcessingErr> {
        if let Some((_, _, task)) = st.timer.take() {
            task.abort();
        }
        st.table.remove_active(&st.key, &myself);
        Ok(())
    }
}

/// Drains the machine's outputs and re-arms the timer.
async fn drive(myself: &ActorRef<TxnMsg>, st: &mut ServerTxnState) {
    loop {
        let mut progressed = false;
        while let Some(bytes) = st.machine.poll_transmit() {
            progressed = true;
            let mut t = st.reply_to.clone();
            t.payload = bytes;
            if let Err(e) = st.transports.send(t).await {
                tracing::debug!(error = %e, "sending response failed");
                st.machine.handle_transport_error(Instant::now());
            }
        }
        while let Some(ev) = st.machine.poll_event() {
            progressed = true;
            match ev {
                TuEvent::Terminated => {
                    myself.stop(None);
                    return;
                }
                TuEvent::Timeout => tracing::debug!("server transaction timed out (Timer H)"),
                other => tracing::trace!(?other, "server transaction event"),
            }
        }
        if !progressed {
            break;
        }
    }
    if st.machine.is_waiting() {
        // Only timers and retransmissions are left: hand the machine to the table and stop.
        let machine = std::mem::replace(
            &mut st.machine,
            ServerMachine::NonInvite(ServerNonInvite::new(
                true,
                &TimerConfig::default(),
                Instant::now(),
            )),
        );
        let next = machine.poll_timeout();
        st.parked = true;
        st.table.park(
            &st.key,
            Parked {
                machine,
                reply_to: st.reply_to.clone(),
            },
            next,
        );
        if let Some((_, _, task)) = st.timer.take() {
            task.abort();
        }
        myself.stop(None);
        return;
    }
    let next = st.machine.poll_timeout();
    match (next, &st.timer) {
        (Some(at), Some((armed, _, _))) if *armed == at => {}
        (next, _) => {
            if let Some((_, _, task)) = st.timer.take() {
                task.abort();
            }
            if let Some(at) = next {
                st.timer_gen += 1;
                let gen = st.timer_gen;
                let me = myself.clone();
                let task = tokio::spawn(async move {
                    tokio::time::sleep_until(at.into()).await;
                    let _ = me.cast(TxnMsg::Timer(gen));
                });
                st.timer = Some((at, gen, task));
            }
        }
    }
}
