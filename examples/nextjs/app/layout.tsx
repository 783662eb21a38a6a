import type { ReactNode } from 'react'
import { Providers } from './providers'
import { accessToken, apiUrl, transport } from './settings'

export const metadata = { title: 'live-status · Next.js example' }

/** The providers wrap every page; the server passes what it knows (backend URL, token, transport). */
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', margin: 24 }}>
        <Providers apiUrl={apiUrl()} accessToken={accessToken()} transport={transport()}>
          {children}
        </Providers>
      </body>
    </html>
  )
}
