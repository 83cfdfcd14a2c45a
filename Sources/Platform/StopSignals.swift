import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM (and whatever else a program asks for) handled in one way for every program: the default
/// action is turned off and the handler runs on a dispatch queue, where it may do real work (give the panel back,
/// close the journal) before the program leaves. Keep the returned value alive as long as the handler should run.
public final class StopSignals: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    public init(_ signals: [Int32] = [SIGINT, SIGTERM], queue: DispatchQueue = .global(), handler: @escaping @Sendable (Int32) -> Void) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(number) }
            source.resume()
            sources.append(source)
        }
    }

    public func cancel() { sources.forEach { $0.cancel() } }
}
