import net from 'node:net'
import { TrendsError } from '@trends/core'

/** Resolves true when nothing listens on host:port (we can bind it ourselves), false when taken. */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false)
      else reject(error)
    })
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** Throws STACK_PORT_IN_USE naming the port, what wanted it, and the variable that moves it. */
export async function assertPortFree(host: string, port: number, what: string, envKey: string): Promise<void> {
  if (await isPortFree(host, port)) return
  throw new TrendsError(
    'STACK_PORT_IN_USE',
    `port ${host}:${port} for ${what} is already in use by another process; stop that process or set ${envKey} to a free port`,
  )
}
