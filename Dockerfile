# Coachdesk production image: gunicorn serves the web app; the same image runs worker and beat.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app
RUN useradd --create-home --uid 1000 coachdesk

COPY pyproject.toml README.md ./
RUN pip install --upgrade pip && pip install . && rm -rf build

COPY . .
# collectstatic needs settings that pass the production checks; the real values come from
# the environment at run time (this throwaway key is never stored in the image).
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    EMAIL_URL=smtp://localhost:25 \
    python manage.py collectstatic --noinput

# MEDIA_ROOT: uploads waiting for a worker (a volume shared by web and worker in compose).
RUN mkdir -p /app/media && chown coachdesk /app/media
USER coachdesk
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
