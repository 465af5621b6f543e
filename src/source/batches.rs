//! Producers of record batches: a task or blocking thread feeding a bounded channel, read as a
//! stream whose errors are items.

use super::SourceError;
use super::arrow;
use ::arrow::record_batch::RecordBatch;
use futures::stream::BoxStream;

impl arrow::BatchBuilder {
    /// Count a finished row and send the batch once it is full. `Ok(false)`: the reader is
    /// gone, stop producing.
    pub async fn end_row_and_send(&mut self, tx: &BatchSender) -> Result<bool, SourceError> {
        if !self.end_row() {
            return Ok(true);
        }
        self.send(tx).await
    }

    /// Send the buffered rows, if any. `Ok(false)`: the reader is gone.
    pub async fn send(&mut self, tx: &BatchSender) -> Result<bool, SourceError> {
        if self.is_empty() {
            return Ok(true);
        }
        let batch = self
            .finish()
            .map_err(|e| SourceError::Other(e.to_string()))?;
        Ok(tx.send(Ok(batch)).await.is_ok())
    }
}

/// The sending half handed to a producer of batches.
pub type BatchSender = tokio::sync::mpsc::Sender<Result<RecordBatch, SourceError>>;

/// Run `produce` on a task feeding a bounded channel (capacity 2) and return the receiving end
/// as a stream. An `Err` returned by `produce` becomes the stream's last item.
pub fn spawn_batches<F, Fut>(produce: F) -> BoxStream<'static, Result<RecordBatch, SourceError>>
where
    F: FnOnce(BatchSender) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), SourceError>> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<RecordBatch, SourceError>>(2);
    tokio::spawn(async move {
        let err_tx = tx.clone();
        if let Err(e) = produce(tx).await {
            let _ = err_tx.send(Err(e)).await;
        }
    });
    receiver_stream(rx)
}

/// Run a blocking `produce` (a driver without async support) on a blocking thread feeding a
/// bounded channel (capacity 2); it sends with `blocking_send`. A panic becomes an error item.
pub fn spawn_blocking_batches<F>(produce: F) -> BoxStream<'static, Result<RecordBatch, SourceError>>
where
    F: FnOnce(&BatchSender) -> Result<(), SourceError> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<RecordBatch, SourceError>>(2);
    let handle = tokio::task::spawn_blocking(move || {
        if let Err(e) = produce(&tx) {
            let _ = tx.blocking_send(Err(e));
        }
    });
    let (done_tx, done_rx) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        if handle.await.is_err() {
            let _ = done_tx
                .send(Err(SourceError::Other(
                    "the extraction thread panicked".into(),
                )))
                .await;
        }
    });
    use futures::StreamExt;
    receiver_stream(rx).chain(receiver_stream(done_rx)).boxed()
}

fn receiver_stream(
    rx: tokio::sync::mpsc::Receiver<Result<RecordBatch, SourceError>>,
) -> BoxStream<'static, Result<RecordBatch, SourceError>> {
    use futures::StreamExt;
    futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
    .boxed()
}
