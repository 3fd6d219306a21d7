FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm install --no-save tsx
COPY . .
USER node
EXPOSE 9000
CMD ["node", "bin/switchyard.js", "api"]
