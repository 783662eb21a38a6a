import type { ReactNode } from 'react'
import { Providers } from './providers'

export const metadata = { title: 'live-status · Next.js example' }

/** The providers wrap every page; the server passes what it knows (backend URL, token). */
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', margin: 24 }}>
        <Providers apiUrl={apiUrl()} accessToken={accessToken()}>
          {children}
        </Providers>
      </body>
    </html>
  )
}

export const apiUrl = () => process.env.LIVE_STATUS_API_URL ?? 'http://127.0.0.1:4173'
export const accessToken = () => process.env.LIVE_STATUS_TOKEN ?? 'demo-token'
